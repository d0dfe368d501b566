-- Regency x year x funding source, over the programs of the current masterplans running
-- in the year. A program with several sources counts once for each of them (programs), and
-- its money is split evenly between them: a program of Rp 900 jt in a year funded by
-- `APBD Kab/Kota, CSR` gives Rp 450 jt to each. The money is the year's own plan
-- (`anggaran_<YYYY>`, template version 2); version-1 programs have none, so their rows
-- count programs and leave the money empty (programs_without_year_budget says how many).
-- Years: the programs' years up to the reporting year.
{%- set sources = ['APBD Kab/Kota', 'APBD Provinsi', 'APBN', 'CSR', 'KPBU', 'Hibah', 'Lainnya'] %}
with regencies as (
    select * from {{ ref('stg_reference__regencies') }}
),

funding_sources as (
    select source_name, source_order from (
        values
        {%- for s in sources %}
            ('{{ s }}', {{ loop.index }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as funding (source_name, source_order)  -- the alias names the values' columns -- noqa: AL05
),

calendar as (
    select year from {{ ref('int_reporting_years') }}
),

programs as (
    select * from {{ ref('int_programs_current') }}
    where funding_sources is not null
),

program_sources as (
    -- the pipeline stores canonical names separated by '; '
    select
        programs.region_code,
        programs.program_code,
        programs.year_start,
        programs.year_end,
        funding_sources.source_name,
        funding_sources.source_order,
        count(*) over (partition by programs.region_code, programs.program_code) as source_count
    from programs
    inner join funding_sources
        on ('; ' || programs.funding_sources || ';') like ('%; ' || funding_sources.source_name || ';%')
),

program_years as (
    select
        program_sources.*,
        calendar.year,
        b.budget_idr                                  as year_budget_idr
    from program_sources
    inner join calendar
        on calendar.year between program_sources.year_start and program_sources.year_end
    left join {{ ref('int_program_budgets_current') }} as b
        on b.region_code = program_sources.region_code
        and b.program_code = program_sources.program_code
        and b.budget_year = calendar.year
)

select
    regencies.province_code,
    regencies.province_name,
    program_years.region_code,
    regencies.region_name,
    cast(program_years.year as integer)               as year,
    program_years.source_name                         as funding_source,
    min(program_years.source_order)                   as funding_source_order,
    cast(count(*) as integer)                         as programs,
    cast(sum(case when program_years.source_count > 1 then 1 else 0 end) as integer) as programs_shared,
    cast(sum(case when program_years.year_budget_idr is null then 1 else 0 end) as integer)
        as programs_without_year_budget,
    {{ smartprov.round_decimal('sum(program_years.year_budget_idr / program_years.source_count)', 2, 20) }}
        as budget_planned_idr
from program_years
inner join regencies
    on regencies.region_code = program_years.region_code
group by
    regencies.province_code,
    regencies.province_name,
    program_years.region_code,
    regencies.region_name,
    program_years.year,
    program_years.source_name
