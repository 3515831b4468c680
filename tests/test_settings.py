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
