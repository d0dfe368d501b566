-- The current accepted masterplan of each regency that has one.
select
    region_code,
    submission_id                                     as masterplan_submission_id,
    period_start,
    period_end,
    document_date,
    received_at,
    coalesce(framework, 'kominfo-2017')               as framework,
    template_version
from {{ ref('int_submissions_ranked') }}
where kind = 'MASTERPLAN'
    and is_current
