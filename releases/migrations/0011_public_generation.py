from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0010_pilot_figures"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublicGeneration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.PositiveBigIntegerField(default=0)),
                ("changed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"verbose_name": "public cache generation"},
        ),
    ]
