"""Post an admin change form back as a browser would: what the page shows, with CRLF text."""

from __future__ import annotations


def browser_post_data(page, **changes) -> dict:
    """The data a browser submits for an admin change page (its response with context),
    unchanged except for ``changes``. Textareas come back with ``\\r\\n`` line endings."""
    data: dict = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.forms)
        data[f"{formset.prefix}-INITIAL_FORMS"] = len(formset.initial_forms)
        forms += formset.forms
    for form in forms:
        for name, field in form.fields.items():
            value = field.prepare_value(form[name].value())
            if value is None or value is False or value == []:
                continue
            if isinstance(value, str):
                value = value.replace("\n", "\r\n")
            data[form.add_prefix(name)] = value
    data.update(changes)
    return data
