"""Audit log entries, written from Django's own signals so every path (login form, admin,
API, shell) is covered: sign-ins and failures, sign-outs, password and role changes, and
every admin add, change or delete (Django's LogEntry)."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from portal.client_ip import client_ip
from portal.models import AuditEntry

User = get_user_model()
ADMIN_ACTIONS = {ADDITION: AuditEntry.Action.ADMIN_ADD, CHANGE: AuditEntry.Action.ADMIN_CHANGE,
                 DELETION: AuditEntry.Action.ADMIN_DELETE}


def audit(action, *, actor=None, actor_name="", target="", request=None, **details):
    return AuditEntry.objects.create(
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor_name or (actor.get_username() if actor is not None else ""),
        target=str(target)[:300],
        ip_address=client_ip(request) if request is not None else None,
        details=details,
    )


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit(AuditEntry.Action.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit(AuditEntry.Action.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Only the username is kept: `credentials` also holds the password, masked by Django.
    name = str(credentials.get("username", ""))[:150]
    audit(AuditEntry.Action.LOGIN_FAILED, actor_name=name, target=name, request=request)


@receiver(post_save, sender=LogEntry)
def _admin_change(sender, instance, created, **kwargs):
    if created:
        audit(ADMIN_ACTIONS[instance.action_flag], actor=instance.user,
              target=f"{instance.content_type.name if instance.content_type else ''}: {instance.object_repr}",
              change=instance.get_change_message())


@receiver(m2m_changed, sender=User.groups.through)
def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    names = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    audit(AuditEntry.Action.ROLE_CHANGE, target=instance.get_username(), change=action.removeprefix("post_"),
          groups=names)


@receiver(pre_save, sender=User)
def _superuser_changed(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values_list("is_superuser", flat=True).first()
    if before is not None and before != instance.is_superuser:
        audit(AuditEntry.Action.ROLE_CHANGE, target=instance.get_username(),
              change="made super admin" if instance.is_superuser else "no longer super admin")
