-- Regency x year x dimension: what the current masterplan plans for the year against what
-- the current evaluation of that year reports.
--
-- Years: every year of the current masterplan's period up to the reporting year, plus any
-- year with a current evaluation. Dimensions: all six of the masterplan's framework.
-- budget_planned_idr is the WHOLE-PROGRAM budget of the programs running that year (the
-- contract gives one budget per program for its whole span; it is not split by year).
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

planned as (
    select
        regency_years.region_code,
        regency_years.year,
        p.dimension,
        count(*)                                      as programs_planned,
        sum(p.budget_idr)                             as budget_planned_idr
    from regency_years
    inner join {{ ref('int_programs_current') }} as p
        on p.region_code = regency_years.region_code
       and regency_years.year between p.year_start and p.year_end
    group by regency_years.region_code, regency_years.year, p.dimension
),

reported as (
    select
        region_code,
        evaluation_year                               as year,
        dimension,
        count(*)                                      as programs_reported,
        sum(case when is_done then 1 else 0 end)      as programs_done,
        avg(progress_pct)                             as avg_progress_pct,
        sum(budget_realized_idr)                      as budget_realized_idr
    from {{ ref('int_realisations_current') }}
    where is_in_current_masterplan
    group by region_code, evaluation_year, dimension
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
        coalesce(reported.programs_done, 0)           as programs_done,
        reported.avg_progress_pct,
        coalesce(planned.budget_planned_idr, 0)       as budget_planned_idr,
        case
            when coalesce(reported.programs_reported, 0) > 0
                then coalesce(reported.budget_realized_idr, 0)
        end                                           as budget_realized_idr
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
    cast(joined.programs_done as integer)             as programs_done,
    {{ smartprov.round_decimal('joined.avg_progress_pct', 2, 9) }} as avg_progress_pct,
    cast(joined.budget_planned_idr as decimal(20, 2)) as budget_planned_idr,
    cast(joined.budget_realized_idr as decimal(20, 2)) as budget_realized_idr,
    {{ smartprov.safe_ratio('joined.budget_realized_idr', 'joined.budget_planned_idr', 4) }} as realization_ratio
from joined
inner join regencies
    on regencies.region_code = joined.region_code
