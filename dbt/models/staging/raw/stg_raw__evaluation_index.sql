with source as (
    select * from {{ source('raw', 'evaluation_index') }}
)

select
    submission_id,
    aspect,
    score,
    file_sha256,
    sheet_name,
    source_row
from source
