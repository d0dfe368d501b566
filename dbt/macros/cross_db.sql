{#
  Small SQL helpers that read the same on DuckDB and PostgreSQL. Where the two engines
  differ, the macro goes through adapter.dispatch with a postgres__ and a duckdb__ body.
#}

{#
  The reporting date ('YYYY-MM-DD'): var('as_of_date') when given (tests pin it), else the
  environment variable SMARTPROV_AS_OF_DATE, which smartprov always sets from its one clock
  (settings.today(), Asia/Jakarta). Not a var: dbt re-parses the whole project when a var
  changes. And read only when dbt executes, not while it parses: dbt re-parses the files that
  read an environment variable whose value changed (a second and more of a night's build).
  A hand-run dbt with neither uses the day the run started in Asia/Jakarta: never the
  database's current_date, whose day follows the session's time zone.
#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', '') -%}
    {%- if not value and execute -%}
        {%- set value = env_var('SMARTPROV_AS_OF_DATE', '') -%}
    {%- endif -%}
    {%- if not value -%}
        {%- set value = run_started_at.astimezone(modules.pytz.timezone('Asia/Jakarta')).strftime('%Y-%m-%d') -%}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{# The calendar year of a date or timestamp, as an integer. #}
{% macro year_of(expr) -%}
    {{ return(adapter.dispatch('year_of', 'smartprov')(expr)) }}
{%- endmacro %}

{% macro default__year_of(expr) -%}
    cast(extract(year from {{ expr }}) as integer)
{%- endmacro %}

{# PostgreSQL's extract() returns numeric; date_part on a date cast is the portable form. #}
{% macro postgres__year_of(expr) -%}
    cast(date_part('year', cast({{ expr }} as date)) as integer)
{%- endmacro %}

{# DuckDB's year() returns BIGINT. #}
{% macro duckdb__year_of(expr) -%}
    cast(year({{ expr }}) as integer)
{%- endmacro %}

{# A date from year, month and day expressions. #}
{% macro make_date(year, month, day) -%}
    {{ return(adapter.dispatch('make_date', 'smartprov')(year, month, day)) }}
{%- endmacro %}

{# PostgreSQL's make_date only takes integer arguments (no implicit bigint -> integer). #}
{% macro default__make_date(year, month, day) -%}
    make_date(cast({{ year }} as integer), cast({{ month }} as integer), cast({{ day }} as integer))
{%- endmacro %}

{% macro duckdb__make_date(year, month, day) -%}
    make_date(cast({{ year }} as bigint), cast({{ month }} as bigint), cast({{ day }} as bigint))
{%- endmacro %}

{#
  Rounded decimal. PostgreSQL has no round(double precision, int), and rounding doubles
  differs between engines at the last binary digit, so both round a DECIMAL and return
  DECIMAL(precision, scale): identical figures on both engines.
#}
{% macro round_decimal(expr, scale=2, precision=18) -%}
    cast(round(cast({{ expr }} as decimal(38, 10)), {{ scale }}) as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{# numerator / denominator as a decimal, null when the denominator is null or 0. #}
{# (The outer cast keeps the type's scale: PostgreSQL drops it for a CASE with a null branch.) #}
{% macro safe_ratio(numerator, denominator, scale=4) -%}
    cast(case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else {{ smartprov.round_decimal('cast(' ~ numerator ~ ' as decimal(38, 10)) / cast(' ~ denominator ~ ' as decimal(38, 10))', scale) }}
    end as decimal(18, {{ scale }}))
{%- endmacro %}

{# 100 * part / whole, rounded to 2 decimals; null when whole is null or 0. #}
{% macro percentage(part, whole) -%}
    cast(case
        when {{ whole }} is null or {{ whole }} = 0 then null
        else {{ smartprov.round_decimal('100.0 * cast(' ~ part ~ ' as decimal(38, 10)) / cast(' ~ whole ~ ' as decimal(38, 10))', 2, 9) }}
    end as decimal(9, 2))
{%- endmacro %}

{# Sorted, de-duplicated, separator-joined list of a text column (dbt.listagg underneath). #}
{% macro distinct_list(expr, separator="'; '") -%}
    {{ return(adapter.dispatch('distinct_list', 'smartprov')(expr, separator)) }}
{%- endmacro %}

{% macro default__distinct_list(expr, separator) -%}
    string_agg(distinct {{ expr }}, {{ separator }} order by {{ expr }})
{%- endmacro %}

{% macro duckdb__distinct_list(expr, separator) -%}
    array_to_string(list_sort(list_distinct(list({{ expr }}))), {{ separator }})
{%- endmacro %}

{#
  The period a submission supersedes within: a regency has one current MASTERPLAN whatever
  its period, and one current EVALUASI per evaluation year.
#}
{% macro supersession_period(kind, evaluation_year) -%}
    case
        when {{ kind }} = 'MASTERPLAN' then 'masterplan'
        else cast({{ evaluation_year }} as {{ dbt.type_string() }})
    end
{%- endmacro %}
