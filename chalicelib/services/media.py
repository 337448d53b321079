"""Fetching photos providers only link to (Twilio MediaUrl, WhatsApp media id,
Messenger/X attachment URLs), after the webhook has answered.

Driven by the ``case.photo_pending`` event (stream -> SNS -> media queue).
Each fetched photo goes through the same cleaning as inline photos and into
the photo store; the case is saved (version-conditioned) with the photos and
a ``case.photo_added`` event. A provider that is down raises, so the queue
retries and finally parks the message in the dead-letter queue; until then the
case's public view says how many photos are pending. A link the provider
refuses, or bytes that are not an image, are dropped from the pending list.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.adapters.case_repository import CaseRepository
from chalicelib.adapters.http_client import ProviderRejected, ProviderUnavailable
from chalicelib.adapters.images import UnreadableImage, clean
from chalicelib.adapters.photo_store import PhotoStore
from chalicelib.domain.case import Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.messages import MediaLink
from chalicelib.domain.photos import REPORT, PhotoRef
from chalicelib.logs import case_id, get_logger
from chalicelib.services.retry import retry_on_conflict

log = get_logger("media")

Fetch = Callable[[MediaLink, Case], bytes]
ATTEMPTS = 3


def fetch_pending_media(code: str, *, cases: CaseRepository, photos: PhotoStore, fetch: Fetch, clock: Clock) -> int:
    """Fetch what is pending on one case; returns how many photos were added."""

    def attempt(_: int) -> int:
        case = cases.get(code)
        if case is None or not case.pending_media:
            return 0  # a repeated event, or already done
        results: list[tuple[MediaLink, PhotoRef | None]] = []
        failure: ProviderUnavailable | None = None
        for link in list(case.pending_media):
            try:
                data = fetch(link, case)
                image = clean(data)
            except ProviderUnavailable as error:
                failure = error
                break
            except (ProviderRejected, UnreadableImage) as error:
                log.warning(
                    "linked photo dropped",
                    extra={"case_id": case_id(code), "source": link.source, "reason": type(error).__name__},
                )
                results.append((link, None))
                continue
            offset = sum(1 for _, ref in results if ref is not None)
            results.append((link, photos.store(code, case.photos.next_id(offset), REPORT, image)))
        if results:
            added = case.attach_fetched_photos(results, clock())
            cases.save(case)  # the case moved on meanwhile: the next attempt reloads and fetches again
            log.info("linked photos fetched", extra={"case_id": case_id(code), "added": added})
        if failure is not None:
            raise failure
        return sum(1 for _, ref in results if ref is not None)

    return retry_on_conflict(attempt, ATTEMPTS)
