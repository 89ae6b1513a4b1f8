"""A funding report's totals per hub and nationally, added up from its schools (no I/O)."""

from __future__ import annotations

from workflow.services.funding.reports import DAYS_FIGURES, FIGURES, FundingReport, SchoolFunding


def school(urn: str, hub: str, base: int) -> SchoolFunding:
    return SchoolFunding(urn=urn, hub=hub, days_basis=True,
                         **{f: base + i for i, f in enumerate(FIGURES + DAYS_FIGURES)})  # fmt: skip


def test_each_hub_sums_its_own_schools_and_the_hubs_sum_to_the_total():
    schools = [school("100001", "north", 100), school("100002", "north", 1000),
               school("200001", "south", 7)]  # fmt: skip
    report = FundingReport(cohort=9, schools=schools, days_basis=True)
    assert list(report.hubs) == ["north", "south"]
    assert report.hubs["north"]["entitled_pence"] == 1100
    assert report.hubs["north"]["clawed_back_pence"] == 100 + 6 + 1000 + 6
    assert report.hubs["south"] == {f: 7 + i for i, f in enumerate(FIGURES + DAYS_FIGURES)}
    for figure, total in report.totals.items():
        assert total == sum(h[figure] for h in report.hubs.values())


def test_instalments_have_no_days_figures():
    report = FundingReport(cohort=1, schools=[SchoolFunding(urn="100001", hub="north")])
    assert set(report.hubs["north"]) == set(FIGURES)
