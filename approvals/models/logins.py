"""Addresses that accounts have logged in from, so that their owners are never locked out there."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class KnownLoginAddress(models.Model):
    """An address an account has logged in from successfully, and when it last did."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="known_login_addresses",
        verbose_name=_("用户"),
    )
    address = models.CharField(_("地址"), max_length=45)
    last_used_at = models.DateTimeField(_("最近登录时间"), db_index=True)

    class Meta:
        verbose_name = _("登录过的地址")
        verbose_name_plural = _("登录过的地址")
        constraints = [
            models.UniqueConstraint(fields=["user", "address"], name="known_login_address_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.address}"
