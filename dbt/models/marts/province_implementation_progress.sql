-- Regency x year x dimension: what the current masterplan plans for the year against what
-- the current evaluation of that year reports.
--
-- Years: every year of the current masterplan's period up to the reporting year, plus any
-- year with a current evaluation. Dimensions: all six of the masterplan's framework.
-- budget_planned_idr is the year's own planned money: the `anggaran_<YYYY>` amounts of
-- template version 2. A version-1 masterplan has no money per year: the year's plan stays
-- empty (null) rather than guessed from the whole-program budget. realization_ratio =
-- the money realised by the programs that have a plan for the year / that plan.
with regencies as (
    select * from {{ ref('stg_reference__regencies') }}
),

masterplans as (
    select * from {{ ref('int_masterplans_current') }}
),

calendar as (
    select year from {{ ref('int_reporting_years') }}
),

evaluations as (
    select * from {{ ref('int_evaluations_current') }}
),

regency_years as (
    select masterplans.region_code, calendar.year
    from masterplans
    inner join calendar
        on calendar.year between masterplans.period_start and masterplans.period_end
    union
    select evaluations.region_code, evaluations.evaluation_year as year
    from evaluations
    inner join masterplans
        on masterplans.region_code = evaluations.region_code
    inner join calendar
        on calendar.year = evaluations.evaluation_year
),

dimensions as (
    select distinct framework, dimension, dimension_order
    from {{ ref('stg_reference__dimension_elements') }}
),

grid as (
    select
        regency_years.region_code,
        regency_years.year,
        masterplans.masterplan_submission_id,
        dimensions.dimension,
        dimensions.dimension_order
    from regency_years
    inner join masterplans
        on masterplans.region_code = regency_years.region_code
    inner join dimensions
        on dimensions.framework = masterplans.framework
),

year_budgets as (
    select * from {{ ref('int_program_budgets_current') }}
),

planned as (
    select
        regency_years.region_code,
        regency_years.year,
        p.dimension,
        count(*)                                      as programs_planned,
        count(year_budgets.budget_idr)                as programs_with_year_budget,
        sum(year_budgets.budget_idr)                  as budget_planned_idr
    from regency_years
    inner join {{ ref('int_programs_current') }} as p
        on p.region_code = regency_years.region_code
        and regency_years.year between p.year_start and p.year_end
    left join year_budgets
        on year_budgets.region_code = p.region_code
        and year_budgets.program_code = p.program_code
        and year_budgets.budget_year = regency_years.year
    group by regency_years.region_code, regency_years.year, p.dimension
),

reported as (
    select
        r.region_code,
        r.evaluation_year                             as year,
        r.dimension,
        count(*)                                      as programs_reported,
        sum(case when r.status = 'Belum Dimulai' then 1 else 0 end) as programs_not_started,
        sum(case when r.status = 'Berjalan' then 1 else 0 end) as programs_running,
        sum(case when r.is_done then 1 else 0 end)    as programs_done,
        sum(case when r.status = 'Tertunda' then 1 else 0 end) as programs_delayed,
        sum(case when r.status = 'Dibatalkan' then 1 else 0 end) as programs_cancelled,
        avg(r.progress_pct)                           as avg_progress_pct,
        sum(r.budget_realized_idr)                    as budget_realized_idr,
        -- realised money of the programs that have a plan for the year: the ratio's numerator
        sum(case when year_budgets.budget_idr is not null then r.budget_realized_idr end)
            as budget_realized_planned_idr
    from {{ ref('int_realisations_current') }} as r
    left join year_budgets
        on year_budgets.region_code = r.region_code
        and year_budgets.program_code = r.program_code
        and year_budgets.budget_year = r.evaluation_year
    where r.is_in_current_masterplan
    group by r.region_code, r.evaluation_year, r.dimension
),

joined as (
    select
        grid.region_code,
        grid.year,
        grid.masterplan_submission_id,
        evaluations.evaluation_submission_id,
        grid.dimension,
        grid.dimension_order,
        coalesce(planned.programs_planned, 0)         as programs_planned,
        coalesce(reported.programs_reported, 0)       as programs_reported,
        coalesce(reported.programs_not_started, 0)    as programs_not_started,
        coalesce(reported.programs_running, 0)        as programs_running,
        coalesce(reported.programs_done, 0)           as programs_done,
        coalesce(reported.programs_delayed, 0)        as programs_delayed,
        coalesce(reported.programs_cancelled, 0)      as programs_cancelled,
        reported.avg_progress_pct,
        coalesce(planned.programs_with_year_budget, 0) as programs_with_year_budget,
        planned.budget_planned_idr,
        case
            when coalesce(reported.programs_reported, 0) > 0
                then coalesce(reported.budget_realized_idr, 0)
        end                                           as budget_realized_idr,
        case
            when coalesce(reported.programs_reported, 0) > 0 and planned.budget_planned_idr is not null
                then coalesce(reported.budget_realized_planned_idr, 0)
        end                                           as budget_realized_planned_idr
    from grid
    left join evaluations
        on evaluations.region_code = grid.region_code
        and evaluations.evaluation_year = grid.year
    left join planned
        on planned.region_code = grid.region_code
        and planned.year = grid.year
        and planned.dimension = grid.dimension
    left join reported
        on reported.region_code = grid.region_code
        and reported.year = grid.year
        and reported.dimension = grid.dimension
)

select
    regencies.province_code,
    regencies.province_name,
    joined.region_code,
    regencies.region_name,
    cast(joined.year as integer)                      as year,
    joined.dimension,
    joined.dimension_order,
    joined.masterplan_submission_id,
    joined.evaluation_submission_id,
    joined.evaluation_submission_id is not null       as has_evaluation,
    cast(joined.programs_planned as integer)          as programs_planned,
    cast(joined.programs_reported as integer)         as programs_reported,
    cast(joined.programs_not_started as integer)      as programs_not_started,
    cast(joined.programs_running as integer)          as programs_running,
    cast(joined.programs_done as integer)             as programs_done,
    cast(joined.programs_delayed as integer)          as programs_delayed,
    cast(joined.programs_cancelled as integer)        as programs_cancelled,
    {{ smartprov.round_decimal('joined.avg_progress_pct', 2, 9) }} as avg_progress_pct,
    cast(joined.programs_with_year_budget as integer) as programs_with_year_budget,
    cast(joined.budget_planned_idr as decimal(20, 2)) as budget_planned_idr,
    cast(joined.budget_realized_idr as decimal(20, 2)) as budget_realized_idr,
    cast(joined.budget_realized_planned_idr as decimal(20, 2)) as budget_realized_planned_idr,
    {{ smartprov.safe_ratio('joined.budget_realized_planned_idr', 'joined.budget_planned_idr', 4) }}
        as realization_ratio
from joined
inner join regencies
    on regencies.region_code = joined.region_code
