with source as (
    select * from {{ source('audit', 'findings') }}
)

select
    submission_id,
    finding_no,
    rule,
    severity,
    sheet_name,
    source_row,
    column_name,
    value                                             as value_found,
    message_id,
    message,
    message_en
from source
