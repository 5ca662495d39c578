"""Form fields of the web layer: selects and checkbox groups whose values the services' rules check."""
from wtforms import SelectField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice


class Select(SelectField):
    """A select whose value the shared rules check (one message, the same as the API's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; the shared rules check the values."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)


def options(pairs):
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]
