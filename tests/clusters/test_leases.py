"""A cluster's sync lease has one holder at a time and passes on when the holder stops renewing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from smi_ui.clusters import leases
from smi_ui.clusters.models import Cluster, SyncLease

pytestmark = pytest.mark.django_db
TTL = timedelta(seconds=15)


@pytest.fixture
def cluster():
    return Cluster.objects.create(name="c1", api_server="https://example.invalid")


def test_first_process_takes_the_lease_and_the_second_is_refused(cluster):
    assert leases.acquire_or_renew(cluster.pk, "a", TTL)
    assert not leases.acquire_or_renew(cluster.pk, "b", TTL)
    assert leases.holder_of(cluster.pk) == "a"


def test_holder_renews_its_own_lease(cluster):
    assert leases.acquire_or_renew(cluster.pk, "a", TTL)
    before = SyncLease.objects.get(cluster=cluster).expires_at
    assert leases.acquire_or_renew(cluster.pk, "a", TTL)
    assert SyncLease.objects.get(cluster=cluster).expires_at >= before


def test_expired_lease_is_taken_over(cluster):
    assert leases.acquire_or_renew(cluster.pk, "a", TTL)
    SyncLease.objects.filter(cluster=cluster).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert leases.acquire_or_renew(cluster.pk, "b", TTL)
    assert not leases.acquire_or_renew(cluster.pk, "a", TTL)  # the old holder learns it lost it


def test_released_lease_is_free_at_once(cluster):
    assert leases.acquire_or_renew(cluster.pk, "a", TTL)
    leases.release(cluster.pk, "a")
    assert leases.acquire_or_renew(cluster.pk, "b", TTL)
