-- The current accepted evaluation of each regency x evaluation year.
select
    region_code,
    evaluation_year,
    submission_id                                     as evaluation_submission_id,
    document_date,
    received_at
from {{ ref('int_submissions_ranked') }}
where kind = 'EVALUASI'
    and is_current
