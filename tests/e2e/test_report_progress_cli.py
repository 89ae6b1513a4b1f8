"""``workflow report progress`` prints the figures of the digest ``workflow simulate`` sent."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.e2e.test_cohort_through_cli import Workflow


def test_report_progress_prints_the_digests_figures(postgres_url, tmp_path):
    wf = Workflow(postgres_url, tmp_path)
    wf("db", "upgrade")
    admin = wf.json("init", "--email", "admin@ncetm.example", "--name", "Nat Admin")["token"]
    wf("hub", "add", "great-north", "--name", "Great North Maths Hub", token=admin)
    wf("cohort", "add", "9", "--rules", "cohort-9", token=admin)
    wf("hub", "allocate", "great-north", "--cohort", "9", "--places", "2", token=admin)
    for urn in ("111111", "111112"):  # one lead teacher per school
        wf("school", "add", urn, "--name", f"School {urn}", "--hub", "great-north", "--phase",
           "secondary", "--funding", "state", "--head-name", "Pat Head", "--head-email",
           f"head@{urn}.example", token=admin)  # fmt: skip
    lead = wf.json("staff", "add", "lead@gn.example", "--name", "Lee Lead", "--role", "hub_lead",
                   "--hub", "great-north", token=admin)["token"]  # fmt: skip
    said = wf("hub", "digest", "great-north", "--to-staff", token=lead).stdout
    assert said == "hub great-north: the termly digest goes to the hub lead and hub staff\n"
    for n in range(2):
        urn = f"11111{n + 1}"
        sid = wf.json("nominate", "--cohort", "9", "--school", urn, "--name", f"Teacher {n}",
                      "--email", f"t{n}@{urn}.example", "--qts", "--teaching-since",
                      "2018-09-01", token=admin)["id"]  # fmt: skip
        wf("select", str(sid), token=admin)
    wf("simulate", "--until", "2026-01-05T09:30", token=admin)

    figures = wf.json("report", "progress", "--cohort", "9", "--term", "2026-01-05",
                      token=lead, now="2026-01-05T09:30")  # fmt: skip
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        digests = [
            p["extra"]
            for (p,) in connection.execute(text("SELECT payload FROM outbox ORDER BY id"))
            if p["template"] == "term_digest"
            and p["to"] == "hub_lead"
            and p["extra"]["term"]["start"] == "2026-01-05"
        ]
    engine.dispose()
    assert len(digests) == 1
    assert figures["hubs"] == [digests[0]["figures"]]
    assert figures["term"]["name"] == "spring" and figures["totals"] == {"on_track": 0, "behind": 2}
    table = wf("report", "progress", "--cohort", "9", token=lead, now="2026-01-05T09:30").stdout
    assert "spring term 2025/26" in table and "Teacher 1" in table
