from django.db import migrations

ELEMENTS = ["hardware", "software", "data", "networks", "people", "procedures", "knowledge"]
ROLES = ["portal-viewer", "portal-editor", "portal-approver", "portal-admin"]


def seed(apps, schema_editor):
    Element = apps.get_model("portal", "Element")
    Group = apps.get_model("auth", "Group")
    for code in ELEMENTS:
        Element.objects.get_or_create(code=code)
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_audit_and_elements"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
