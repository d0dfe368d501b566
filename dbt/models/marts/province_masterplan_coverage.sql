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
    masterplans.received_at                           as last_submitted_at
from regencies
left join masterplans
    on masterplans.region_code = regencies.region_code
left join programs
    on programs.region_code = regencies.region_code
