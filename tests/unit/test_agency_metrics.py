"""Agency metrics: event -> counters, exactly once, and the dashboard's arithmetic,
over a scripted week of cases run through the real Case and outbox code."""

from datetime import UTC, date, datetime, timedelta

from chalicelib.adapters import reference_data
from chalicelib.adapters.case_repository import case_to_item
from chalicelib.adapters.case_stream import change_of
from chalicelib.domain.case import SYSTEM, Actor, Case, PhotoRef
from chalicelib.domain.channels import Channel
from chalicelib.domain.events import CaseEscalated, CaseResolved, CaseTransferred, Envelope
from chalicelib.domain.metrics import bucket, contributions, percentile
from chalicelib.domain.report import build_report
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services import metrics
from chalicelib.services.notifications import notify, recipients
from chalicelib.services.outbox import messages_for
from tests.support.event_messages import envelope, example
from tests.support.fakes import FakeMailer, FakeMetricsStore, FakeNotificationStore, FakeQuarantine, FixedClock

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 10:00 WIB
DIRECTORY = reference_data.agencies()
POLICY = SlaPolicy()
LH = Actor("officer", "u1", "agency_officer", "dinas-lh")
SUDIN = Actor("officer", "u2", "agency_officer", "sudin-lh-jakpus")
BIRO = Actor("officer", "u3", "bureau_verifier", "biro-pemerintahan")
PHOTO = PhotoRef("p9", "completion", "o", "p", "image/jpeg", 1, 1)


class Week:
    def __init__(self):
        self.store = FakeMetricsStore()
        self.messages = []

    def new(self, code):
        report = build_report(channel=Channel.QLUE, message_id=code, category="garbage", description="Sampah")
        case = Case.open(report, code, T0, policy=POLICY)
        self.relay(case)
        return case

    def relay(self, case):
        events = case.pull_events()
        case.version += 1
        item = case_to_item(case, case.version, events)
        for wire in messages_for(change_of("MODIFY", item, {"version": case.version - 1})):
            message = Envelope.from_message(wire)  # as the metrics worker reads it
            self.messages.append(message)
            metrics.record_event(message, self.store)

    def sweep(self, case, at):
        case.apply_due_milestones(POLICY, at)
        self.relay(case)


def scripted_week():
    week = Week()
    a, b, c, d = (week.new(code) for code in ("AAAAA-00001", "BBBBB-00002", "CCCCC-00003", "DDDDD-00004"))
    for case in (a, b, c, d):
        case.assign(DIRECTORY.require("dinas-lh"), T0, SYSTEM)
        week.relay(case)
    # A: delegated, planned in 2.5 h by the Suku Dinas, resolved on day 3, rated 5.
    a.delegate(DIRECTORY.require("sudin-lh-jakpus"), DIRECTORY, T0 + timedelta(minutes=30), LH)
    week.relay(a)
    a.submit_plan("Angkut", None, POLICY, T0 + timedelta(hours=2, minutes=30), SUDIN)
    week.relay(a)
    a.verify_plan(T0 + timedelta(hours=3), BIRO)
    week.relay(a)
    a.resolve(PHOTO, "Bersih", T0 + timedelta(days=2), SUDIN)
    week.relay(a)
    a.give_feedback(5, None, T0 + timedelta(days=2, hours=5))
    week.relay(a)
    # C: rejected as spam after an hour.
    c.reject("spam", None, T0 + timedelta(hours=1), LH)
    week.relay(c)
    # B and D: nobody plans in 6 h (the sweep runs at 6 h 05).
    for case in (b, d):
        week.sweep(case, T0 + timedelta(hours=6, minutes=5))
    b.submit_plan("Terlambat", None, POLICY, T0 + timedelta(hours=8), LH)
    week.relay(b)
    b.verify_plan(T0 + timedelta(hours=9), BIRO)
    week.relay(b)
    for case in (b, d):
        week.sweep(case, T0 + timedelta(days=7, minutes=5))  # resolution deadline passed
    b.resolve(PHOTO, "Akhirnya", T0 + timedelta(days=8), LH)
    week.relay(b)
    b.give_feedback(2, "Lama", T0 + timedelta(days=8, hours=1))
    week.relay(b)
    return week


def test_the_week_adds_up():
    week = scripted_week()
    board = metrics.dashboard(week.store, "2026-11-23", "2026-12-02", date(2026, 12, 2))
    rows = {row["agency_id"]: row for row in board["agencies"]}
    lh, sudin = rows["dinas-lh"], rows["sudin-lh-jakpus"]
    assert (lh["received"], lh["resolved"], lh["open"], lh["overdue_open"]) == (4, 1, 1, 1)
    assert (lh["breached"], lh["coordination_breached"], lh["rejected"]) == (2, 2, 1)
    assert lh["on_time_rate"] == 0.0  # 0 on time / (1 resolved + 1 overdue open)
    assert lh["coordination_minutes_avg"] == 480 and lh["coordination_minutes_p90"] == 480
    assert lh["resolution_minutes_avg"] == 8 * 24 * 60
    assert lh["satisfaction_avg"] == 2.0
    assert (sudin["received"], sudin["resolved"], sudin["open"], sudin["on_time_rate"]) == (1, 1, 0, 1.0)
    assert sudin["coordination_minutes_avg"] == 150 and sudin["satisfaction_avg"] == 5.0
    assert board["total"]["received"] == 5 and board["total"]["open"] == 1
    assert board["agencies"][0]["name"]  # rows carry agency names


def test_redelivered_events_count_once():
    week = scripted_week()
    before = metrics.dashboard(week.store, "2026-11-23", "2026-12-02", date(2026, 12, 2))
    for message in week.messages:
        assert metrics.record_event(message, week.store) == 0
    assert metrics.dashboard(week.store, "2026-11-23", "2026-12-02", date(2026, 12, 2)) == before


def test_a_period_before_the_resolution_sees_the_stock_then():
    week = scripted_week()
    board = metrics.dashboard(week.store, "2026-11-23", "2026-11-23", date(2026, 12, 2))
    lh = {row["agency_id"]: row for row in board["agencies"]}["dinas-lh"]
    # End of day 1: B and D still open (A moved out, C rejected), nothing overdue yet.
    assert (lh["received"], lh["open"], lh["overdue_open"], lh["resolved"]) == (4, 2, 0, 0)


def test_monthly_carry_gives_the_same_stock():
    week = scripted_week()
    metrics.rollup(week.store, date(2026, 12, 1), FakeQuarantine(), FixedClock())
    assert week.store.carries[("2026-12", "dinas-lh")] == (2, 2)  # open, overdue: B and D, both late; B resolves Dec 1
    board = metrics.dashboard(week.store, "2026-12-02", "2026-12-02", date(2026, 12, 2))
    lh = {row["agency_id"]: row for row in board["agencies"]}["dinas-lh"]
    assert (lh["open"], lh["overdue_open"]) == (1, 1)


def test_one_agency_s_carry_that_cannot_be_written_never_stops_the_others():
    week = scripted_week()

    class RefusesOne(FakeMetricsStore):
        def put_carry(self, month, agency_id, open_count, overdue):
            if agency_id == "dinas-lh":
                raise RuntimeError("this item cannot be written")
            super().put_carry(month, agency_id, open_count, overdue)

    store = RefusesOne()
    store.days, store.applied, store.carries = week.store.days, week.store.applied, week.store.carries
    quarantine, written = FakeQuarantine(), []
    for _ in range(3):
        written.append(metrics.rollup(store, date(2026, 12, 1), quarantine, FixedClock()))
    agencies = {agency for (month, agency) in store.carries if month == "2026-12"}
    assert "dinas-lh" not in agencies and written[0] == len(agencies) > 0
    assert set(quarantine.quarantined("metrics_rollup")) == {("metrics_rollup", "2026-12/dinas-lh")}
    assert metrics.rollup(store, date(2026, 12, 2), quarantine, FixedClock()) == len(agencies)  # left alone now


def test_agency_detail_has_a_daily_series():
    week = scripted_week()
    detail = metrics.agency_detail(week.store, "dinas-lh", "2026-11-23", "2026-12-02", date(2026, 12, 2))
    days = {row["day"]: row for row in detail["daily"]}
    assert days["2026-11-23"]["received"] == 4
    assert detail["summary"]["received"] == 4
    assert metrics.agency_detail(week.store, "nope", None, None, date(2026, 12, 2)) is None


def test_prediction_from_recent_resolutions():
    store = FakeMetricsStore()
    for n in range(6):
        resolved = example(
            CaseResolved,
            datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
            agency_id="dinas-lh",
            minutes_since_report=2 * 24 * 60,
            on_time=True,
        )
        metrics.record_event(envelope(resolved, id=f"e{n}", category="garbage"), store)
    predicted = metrics.predict_completion(store, "dinas-lh", "garbage", T0)
    assert predicted == T0 + timedelta(minutes=2880)
    assert metrics.predict_completion(store, "dinas-sda", "garbage", T0) is None


def test_histogram_helpers():
    assert bucket(0) == 0 and bucket(15) == 0 and bucket(16) == 1 and bucket(10**9) == 19
    assert percentile({0: 9, 5: 1}, 0.9) == 15
    assert percentile({}, 0.5) is None


def test_contributions_of_a_transfer_move_the_stock():
    transfer = example(CaseTransferred, from_agency_id="dinas-lh", agency_id="dinas-sda", resolution_breached=True)
    by_agency = {c.agency_id: c.counters for c in contributions(transfer)}
    assert by_agency["dinas-lh"] == {"moved_out": 1, "open_delta": -1, "overdue_delta": -1}
    assert by_agency["dinas-sda"] == {"received": 1, "open_delta": 1, "overdue_delta": 1}


def test_notifications_reach_the_right_inboxes_once():
    week = scripted_week()
    store, mailer = FakeNotificationStore(), FakeMailer()
    for message in week.messages + week.messages:  # delivered twice
        notify(message, store, mailer, T0)
    inboxes = [inbox for inbox, _, _ in store.entries]
    assert inboxes.count("biro-pemerintahan") == 2  # two plans to verify
    assert "sudin-lh-jakpus" in inboxes  # the delegation
    assert len(store.entries) == len({(i, e) for i, e, _ in store.entries})
    escalation = envelope(example(CaseEscalated, agency_id=None), agency_id="dinas-lh")
    assert recipients(escalation) == ["inspektorat", "supervisors", "dinas-lh"]
    assert mailer.sent == []  # no agency in the seed has an e-mail address
