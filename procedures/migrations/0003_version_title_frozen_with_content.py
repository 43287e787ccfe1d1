from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_titles(apps, schema_editor):
    """Versions written before titles were versioned take the procedure's title."""
    Procedure = apps.get_model("procedures", "Procedure")
    ProcedureVersion = apps.get_model("procedures", "ProcedureVersion")
    ProcedureVersion.objects.filter(title="").update(
        title=Subquery(Procedure.objects.filter(pk=OuterRef("procedure_id")).values("title")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ("procedures", "0002_seed_categories"),
    ]

    operations = [
        migrations.AddField(
            model_name="procedureversion",
            name="title",
            field=models.CharField(blank=True, max_length=200, verbose_name="title"),
        ),
        migrations.RunPython(copy_titles, migrations.RunPython.noop),
    ]
