"""Names for the database and the web pages."""

import inflection


def table_name(model: str) -> str:
    """The database table for a model class name: underscored, then pluralized."""
    return inflection.pluralize(inflection.underscore(model))


def ordinal_day(day: int) -> str:
    """The day of the month as an ordinal, such as 1st, 2nd or 22nd."""
    return inflection.ordinalize(day)


def field_label(field: str) -> str:
    """A human-readable label for a field name: 'author_id' becomes 'Author'."""
    return inflection.humanize(field)


def class_name(table: str) -> str:
    """The model class name for a table name: singularized, then camelized."""
    return inflection.camelize(inflection.singularize(table))


def shelf_slug(shelf: str) -> str:
    """A URL slug for a shelf's name, such as 'new-arrivals' for 'New Arrivals!'."""
    return inflection.parameterize(shelf)


def book_slug(title: str, year: int) -> str:
    """A URL slug for a book: its title parameterized, a dash, then its year."""
    return f"{inflection.parameterize(title)}-{year}"
