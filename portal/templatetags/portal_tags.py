from fnmatch import fnmatchcase
from urllib.parse import urlencode

from django import template
from django.apps import apps
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from portal.markdown import markdown_excerpt, render_markdown
from portal.policy import can
from portal.registry import registry

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text)


@register.filter
def excerpt(text, length=240):
    return markdown_excerpt(text, int(length))


@register.simple_tag(takes_context=True)
def allowed(context, action, obj=None):
    """{% allowed "version.approve" version as may_approve %}"""
    request = context.get("request")
    return bool(request) and can(request.user, action, obj)


@register.filter
def age(value):
    if not value:
        return ""
    return timezone.now() - value


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """Keep the current filters when linking to another page of a list."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()


@register.simple_tag(takes_context=True)
def page_sections(context, page, obj=None):
    """{% page_sections "knowledge.person" person %}: the blocks other apps registered
    for this page (``registry.add_page_section``)."""
    request = context.get("request")
    parts = []
    for section in registry.sections_of(page):
        data = section.build(request, obj)
        if data is not None:
            parts.append(render_to_string(section.template, data, request=request))
    return mark_safe("".join(parts))  # each part was rendered (and escaped) by its template


@register.filter
def audit_verb(verb: str) -> str:
    """The audit log's name for a verb, in the reader's language (the code itself
    when no app named it)."""
    from portal.registry import registry

    label = registry.audit_verbs.get(verb)
    return str(label) if label is not None else verb


@register.filter
def status_label(code: str, kind: str) -> str:
    """A search hit's status in the reader's language: ``hit.status|status_label:hit.kind``."""
    from portal.registry import registry

    return registry.status_label(kind, code)


@register.simple_tag
def sparkline(values, title, unit="", floor=0, ceiling=None):
    """{% sparkline series.requested title ceiling=series.allocatable_max %}: see
    portal/sparkline.py."""
    from portal.sparkline import sparkline_svg

    return sparkline_svg(values, str(title), unit=unit, floor=floor, ceiling=ceiling)


@register.filter
def model_label(label: str) -> str:
    """``"data.dataset"`` (an audit event's object type) → the model's name in the
    reader's language; the label itself for a model that is no longer there."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


@register.inclusion_tag("portal/_subnav.html", takes_context=True)
def subnav(context, key, **filters):
    """{% subnav "inventory" cluster=cluster_id %}: the tabs an app registered
    (``registry.add_subnav``), the page's own marked, the filters given carried into
    the tabs that keep them; the same look and behaviour for every app."""
    request = context.get("request")
    label, items = registry.subnavs[key]
    match = getattr(request, "resolver_match", None)
    here = match.view_name if match else ""
    query = urlencode({k: v for k, v in filters.items() if v not in (None, "")})
    tabs = []
    for item in items:
        if item.action and not (request and can(request.user, item.action)):
            continue
        url = reverse(item.url_name)
        if query and item.keeps_filters:
            url = f"{url}?{query}"
        current = here == item.url_name or any(fnmatchcase(here, p) for p in item.current_on)
        tabs.append({"url": url, "label": item.label, "current": current})
    return {"label": label, "tabs": tabs}


@register.filter
def tone(code) -> str:
    """``<span class="badge {{ adr.status|tone }}">``: the tone the status's app gave
    it (``registry.add_badge_tones``); none, the plain badge, for an unknown code."""
    return registry.badge_tones.get(str(code), "")


class PagePartNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, name: str, nodelist):
        self.name = name
        self.nodelist = nodelist

    def render(self, context):
        from portal.page_cache import render_part

        request = context.get("request")
        if request is None:
            return self.nodelist.render(context)
        return render_part(request, self.name, lambda: self.nodelist.render(context))


@register.tag
def page_part(parser, token):
    """``{% page_part "bell" %}…{% endpage_part %}`` in the layout: a part rendered for
    every request even when ``portal.page_cache`` serves the rest of the page."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'":
        raise template.TemplateSyntaxError("page_part takes one quoted name")
    nodelist = parser.parse(("endpage_part",))
    parser.delete_first_token()
    return PagePartNode(bits[1][1:-1], nodelist)
