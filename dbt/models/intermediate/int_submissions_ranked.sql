-- Supersession. Accepted submissions ranked newest first within their supersession key:
--   MASTERPLAN: one per regency (a revision replaces the masterplan even when it changes
--               the period);
--   EVALUASI:   one per regency x evaluation year.
-- "Newest" = later document_date, then later received_at, then the larger submission_id
-- (a deterministic final tiebreak). The same ordering as Warehouse.current_masterplan_programs.
with accepted as (
    select
        submission_id,
        region_code,
        kind,
        {{ smartprov.supersession_period('kind', 'evaluation_year') }} as supersession_period,
        period,
        period_start,
        period_end,
        evaluation_year,
        document_date,
        received_at,
        framework,
        template_version,
        warning_count
    from {{ ref('stg_audit__submissions') }}
    where is_accepted
        and kind in ('MASTERPLAN', 'EVALUASI')
        and region_code is not null
        and (kind = 'MASTERPLAN' or evaluation_year is not null)
)

select
    *,
    row_number() over newest_first                    as recency_rank,
    row_number() over newest_first = 1                as is_current,
    -- the next newer submission of the same key (the one that replaced this one)
    lag(submission_id) over newest_first              as superseded_by,
    first_value(submission_id) over newest_first      as current_submission_id
from accepted
window newest_first as (
    partition by region_code, kind, supersession_period
    order by document_date desc nulls last, received_at desc, submission_id desc
)
