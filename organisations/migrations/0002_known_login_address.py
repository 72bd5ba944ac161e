"""Addresses that accounts have logged in from, so that their owners are never locked out there."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('organisations', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='KnownLoginAddress',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('address', models.CharField(max_length=45, verbose_name='地址')),
                ('last_used_at', models.DateTimeField(db_index=True, verbose_name='最近登录时间')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='known_login_addresses', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
            ],
            options={
                'verbose_name': '登录过的地址',
                'verbose_name_plural': '登录过的地址',
                'constraints': [models.UniqueConstraint(fields=('user', 'address'), name='known_login_address_unique')],
            },
        ),
    ]
