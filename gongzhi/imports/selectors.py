"""Reads of import jobs: a job is its uploader's only. Another user's job and a missing
one give the same NotFound, so ids cannot be probed."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound
from gongzhi.imports.models import ImportJob


def import_jobs_of(user) -> QuerySet[ImportJob]:
    if not getattr(user, "is_authenticated", False):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by=user).defer("errors")


def import_job_for(user, job_id) -> ImportJob:
    try:
        return ImportJob.objects.get(pk=int(job_id), created_by_id=user.pk)
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("The import does not exist.")) from None
