-- Deadlines per kind. The MASTERPLAN due date can be overridden with var('masterplan_due_date').
select
    kind,
    period_type,
    due_year_offset,
    due_month,
    due_day,
    {% if var('masterplan_due_date', '') %}
    case
        when kind = 'MASTERPLAN' then cast('{{ var("masterplan_due_date") }}' as date)
        else due_date
    end                                               as due_date,
    {% else %}
    due_date,
    {% endif %}
    description
from {{ ref('ref_submission_deadlines') }}
