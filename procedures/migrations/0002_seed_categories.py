from django.db import migrations

CATEGORIES = [
    ("code-versioning", "Code versioning (models, experiments, workflows)", "Версионирование кода (модели, эксперименты, пайплайны)"),
    ("dataset-versioning", "Dataset versioning", "Версионирование датасетов"),
    ("model-file-versioning", "Model-file versioning", "Версионирование файлов моделей"),
    ("environment-versioning", "Environment versioning", "Версионирование окружений"),
    ("metric-logging", "Metric logging", "Логирование метрик"),
    ("infrastructure-usage", "Infrastructure usage", "Использование инфраструктуры"),
    ("model-metric-monitoring", "Model-metric monitoring", "Мониторинг метрик моделей"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("procedures", "Category")
    for order, (slug, name, name_ru) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(slug=slug, defaults={"name": name, "name_ru": name_ru, "order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_procedures_versions_reviews")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
