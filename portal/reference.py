"""Reference rows every database needs: the seven elements and the role groups.

Data migrations create them once; this post_migrate handler puts them back after a
`flush` (which empties every table and then sends post_migrate, as transactional
tests and `manage.py flush` do), so no code has to cope with their absence.
"""

from portal.elements import ELEMENT_ORDER
from portal.roles import ROLE_NAMES


def ensure_reference_rows(sender, apps=None, using="default", **kwargs) -> None:
    if apps is None:
        from django.apps import apps
    try:
        Element = apps.get_model("portal", "Element")
        Group = apps.get_model("auth", "Group")
    except LookupError:  # migrating backwards past the models
        return
    existing = set(Element.objects.using(using).values_list("code", flat=True))
    Element.objects.using(using).bulk_create(
        [Element(code=code) for code in ELEMENT_ORDER if code not in existing]
    )
    names = set(
        Group.objects.using(using).filter(name__in=ROLE_NAMES).values_list("name", flat=True)
    )
    Group.objects.using(using).bulk_create([Group(name=n) for n in ROLE_NAMES if n not in names])
