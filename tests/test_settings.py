from codegen_lsp.settings import Settings, parse_settings, settings_reference, to_camel


def test_camel_case_names_are_read() -> None:
    settings, warnings = parse_settings(
        {"sampling": {"n": 4, "maxNewTokens": 64}, "ranking": {"meanLogprob": False}}
    )
    assert warnings == []
    assert settings.sampling.n == 4
    assert settings.sampling.max_new_tokens == 64
    assert settings.ranking.mean_logprob is False


def test_invalid_values_fall_back_to_defaults_and_say_so() -> None:
    settings, warnings = parse_settings(
        {"sampling": {"n": "eight", "temperature": 99.0}, "sandbox": {"level": "docker"}}
    )
    defaults = Settings()
    assert settings.sampling.n == defaults.sampling.n
    assert settings.sampling.temperature == defaults.sampling.temperature
    assert settings.sandbox.level == defaults.sandbox.level
    assert len(warnings) == 3
    assert any("sampling.n" in w and "'eight'" in w for w in warnings)
    assert any("sandbox.level" in w and "'bubblewrap'" in w for w in warnings)


def test_unknown_keys_and_wrong_shapes_are_reported() -> None:
    settings, warnings = parse_settings({"bogus": 1, "model": "big"})
    assert settings == Settings()
    assert any("bogus" in w for w in warnings)
    assert any("model must be an object" in w for w in warnings)


def test_base_settings_are_not_mutated() -> None:
    base = Settings()
    updated, _ = parse_settings({"sampling": {"n": 2}}, base)
    assert updated.sampling.n == 2
    assert base.sampling.n == Settings().sampling.n


def test_reference_lists_every_setting_in_camel_case() -> None:
    table = settings_reference()
    assert "`sampling.maxNewTokens`" in table
    assert "`ranking.verifiedThreshold`" in table
    assert to_camel("warmup_delay_ms") == "warmupDelayMs"


def test_every_setting_says_what_it_does_and_numbers_keep_their_range() -> None:
    # The reference, the VS Code settings UI and the parser's warnings all read these.
    for line in settings_reference().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert cells[-1], f"{cells[0]} has no description: add an attribute docstring"
    settings, warnings = parse_settings({"sampling": {"topP": 1.5}, "server": {"maxActions": 0}})
    assert settings.sampling.top_p == Settings().sampling.top_p
    assert settings.server.max_actions == Settings().server.max_actions
    assert any("sampling.topP" in w and "between 0.0 and 1.0" in w for w in warnings)
    assert any("server.maxActions" in w and "between 1 and 50" in w for w in warnings)
    assert "| `sampling.n` | int (1 to 256) |" in settings_reference()
