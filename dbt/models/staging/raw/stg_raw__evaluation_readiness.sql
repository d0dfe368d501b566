with source as (
    select * from {{ source('raw', 'evaluation_readiness') }}
)

select
    submission_id,
    pillar,
    indicator,
    score,
    evidence,
    file_sha256,
    sheet_name,
    source_row
from source
