"""Read a form from a rendered page as a browser would post it back.

``form_data(response)`` returns the fields of the page's main POST form (the one with the
most fields) with their values as rendered: hidden inputs included, checked boxes only,
selected options, text areas. Tests change a few values and post it: what they post is
what the page really carries (the version of the record and of each row included).
"""

from html.parser import HTMLParser

SKIPPED_INPUTS = {"submit", "button", "file", "reset", "image"}


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.fields = None
        self.select = None
        self.option = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.fields = []
            self.forms.append(
                {
                    "method": (attributes.get("method") or "get").lower(),
                    "action": attributes.get("action") or "",
                    "fields": self.fields,
                }
            )
            return
        if self.fields is None:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in SKIPPED_INPUTS or "disabled" in attributes:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.fields.append((name, attributes.get("value") or "on"))
            else:
                self.fields.append((name, attributes.get("value") or ""))
        elif tag == "select" and name and "disabled" not in attributes:
            self.select = {"name": name, "multiple": "multiple" in attributes, "options": []}
        elif tag == "option" and self.select is not None:
            self.option = {
                "value": attributes.get("value"),
                "text": "",
                "selected": "selected" in attributes,
            }
            self.select["options"].append(self.option)
        elif tag == "textarea" and name and "disabled" not in attributes:
            self.textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["text"] += data
        elif self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.fields = None
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            options = self.select["options"]
            chosen = [option for option in options if option["selected"]]
            if not chosen and not self.select["multiple"] and options:
                chosen = options[:1]
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"]
                self.fields.append((self.select["name"], value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = self.textarea["text"]
            self.fields.append((self.textarea["name"], text[1:] if text[:1] == "\n" else text))
            self.textarea = None


def form_data(response, submit=None) -> dict:
    """The page's main POST form as the browser would send it back: {name: value or [values]}.

    The main form posts to the page itself (not the menu's logout or language forms); if
    several do, the one with the most fields. ``submit``: the name of the submit button
    clicked, when the page has several (the admin's "_save").
    """
    parser = _FormParser()
    parser.feed(response.content.decode())
    path = response.wsgi_request.path
    forms = [
        form
        for form in parser.forms
        if form["method"] == "post"
        and form["action"] in ("", path, response.wsgi_request.get_full_path())
    ]
    assert forms, "no POST form posting to the page"
    fields = max(forms, key=lambda form: len(form["fields"]))["fields"]
    data = {}
    for name, value in fields:
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    data.pop("csrfmiddlewaretoken", None)
    if submit:
        data[submit] = "1"
    return data
