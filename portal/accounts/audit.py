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
    """Role changes from either side (user.groups or group.user_set), clears included."""
    if action == "pre_clear":
        # After the clear nobody can say what was removed: note it now.
        pk_set = set(instance.groups.values_list("pk", flat=True)) if not reverse else set(
            instance.user_set.values_list("pk", flat=True))
        action = "post_remove"
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    change = action.removeprefix("post_")
    if reverse:  # instance is a group, pk_set its users
        for username in User.objects.filter(pk__in=pk_set).values_list(User.USERNAME_FIELD, flat=True):
            audit(AuditEntry.Action.ROLE_CHANGE, target=username, change=change, groups=[instance.name])
        return
    names = sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
    audit(AuditEntry.Action.ROLE_CHANGE, target=instance.get_username(), change=change, groups=names)


@receiver(pre_save, sender=User)
def _superuser_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    before = None if instance.pk is None else (
        User.objects.filter(pk=instance.pk).values_list("is_superuser", flat=True).first())
    if (before or False) != instance.is_superuser:
        audit(AuditEntry.Action.ROLE_CHANGE, target=instance.get_username(),
              change="made super admin" if instance.is_superuser else "no longer super admin")
