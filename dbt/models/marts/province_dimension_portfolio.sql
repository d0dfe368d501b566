-- Regency x dimension x element for every regency with a current masterplan: all 18
-- combinations of the masterplan's framework, zeros where it has no program.
with masterplans as (
    select * from {{ ref('int_masterplans_current') }}
),

regencies as (
    select * from {{ ref('stg_reference__regencies') }}
),

taxonomy as (
    select * from {{ ref('stg_reference__dimension_elements') }}
),

programs as (
    select
        region_code,
        dimension,
        element,
        count(*)                                      as programs,
        sum(case when is_quick_win then 1 else 0 end) as quick_wins,
        sum(budget_idr)                               as budget_total_idr
    from {{ ref('int_programs_current') }}
    group by region_code, dimension, element
),

-- one row per distinct agency (case and surrounding spaces ignored), alphabetically first spelling
distinct_agencies as (
    select
        p.region_code,
        p.dimension,
        p.element,
        a.agency_key,
        min(a.agency_name)                            as agency_name
    from {{ ref('int_programs_current') }} as p
    inner join {{ ref('stg_raw__masterplan_program_agencies') }} as a
        on a.submission_id = p.masterplan_submission_id
        and a.program_code = p.program_code
    group by p.region_code, p.dimension, p.element, a.agency_key
),

agencies as (
    select
        region_code,
        dimension,
        element,
        count(*)                                      as agencies,
        {{ smartprov.distinct_list('agency_name') }}  as agency_names
    from distinct_agencies
    group by region_code, dimension, element
)

select
    regencies.province_code,
    regencies.province_name,
    regencies.region_code,
    regencies.region_name,
    masterplans.masterplan_submission_id,
    taxonomy.framework,
    taxonomy.dimension,
    taxonomy.dimension_order,
    taxonomy.element,
    taxonomy.element_order,
    cast(coalesce(programs.programs, 0) as integer)   as programs,
    cast(coalesce(programs.quick_wins, 0) as integer) as quick_wins,
    cast(coalesce(programs.budget_total_idr, 0) as decimal(20, 2)) as budget_total_idr,
    cast(coalesce(agencies.agencies, 0) as integer)   as agencies,
    agencies.agency_names
from masterplans
inner join regencies
    on regencies.region_code = masterplans.region_code
inner join taxonomy
    on taxonomy.framework = masterplans.framework
left join programs
    on programs.region_code = masterplans.region_code
    and programs.dimension = taxonomy.dimension
    and programs.element = taxonomy.element
left join agencies
    on agencies.region_code = masterplans.region_code
    and agencies.dimension = taxonomy.dimension
    and agencies.element = taxonomy.element
