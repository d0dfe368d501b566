-- One row per regency of every province in the seed, with its current accepted
-- masterplan (if any) and that masterplan's program counts and budget.
with regencies as (
    select * from {{ ref('stg_reference__regencies') }}
),

masterplans as (
    select * from {{ ref('int_masterplans_current') }}
),

programs as (
    select
        region_code,
        count(*)                                      as programs,
        sum(case when is_quick_win then 1 else 0 end) as quick_wins,
        sum(case when budget_idr is null then 1 else 0 end) as programs_without_budget,
        sum(budget_idr)                               as budget_total_idr
    from {{ ref('int_programs_current') }}
    group by region_code
),

milestones as (
    select * from {{ ref('stg_raw__masterplan_milestones') }}
)

select
    regencies.province_code,
    regencies.province_name,
    regencies.region_code,
    regencies.region_name,
    regencies.region_type,
    masterplans.masterplan_submission_id is not null  as has_masterplan,
    masterplans.masterplan_submission_id,
    masterplans.period_start,
    masterplans.period_end,
    masterplans.document_date,
    cast(coalesce(programs.programs, 0) as integer)   as programs,
    cast(coalesce(programs.quick_wins, 0) as integer) as quick_wins,
    cast(coalesce(programs.programs_without_budget, 0) as integer) as programs_without_budget,
    cast(case
        when masterplans.masterplan_submission_id is not null
            then coalesce(programs.budget_total_idr, 0)
    end as decimal(20, 2))                            as budget_total_idr,
    masterplans.received_at                           as last_submitted_at,
    masterplans.template_version,
    -- version 2's milestones (null for version 1 or when not given)
    milestones.adoption_date,
    milestones.legal_basis,
    milestones.bimtek_stage,
    milestones.mou_date,
    masterplans.period_end                            as masterplan_end_year,
    -- the masterplan ends within two years: its last year is this year or next year (or past)
    coalesce(
        masterplans.period_end < {{ smartprov.year_of(as_of_date()) }} + 2, false
    )                                                 as expires_within_two_years
from regencies
left join masterplans
    on masterplans.region_code = regencies.region_code
left join programs
    on programs.region_code = regencies.region_code
left join milestones
    on milestones.submission_id = masterplans.masterplan_submission_id
