-- Deadlines per kind: the seed generated from config/deadlines.yml (the one deadline table).
select
    kind,
    period_type,
    due_year_offset,
    due_month,
    due_day,
    due_date,
    description
from {{ ref('ref_submission_deadlines') }}
