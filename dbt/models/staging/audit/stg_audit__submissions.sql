-- The ledger, renamed and typed. `region_code` is the sender (the landing folder is the
-- sender's identity; for a file outside any folder, the workbook's kode_wilayah).
-- The ledger's `region_code` is that sender too, so the code a misfiled workbook claims
-- (its kode_wilayah) is read back from its REGION_MISMATCH finding.
with source as (
    select * from {{ source('audit', 'submissions') }}
),

region_mismatches as (
    select
        submission_id,
        max(value)                                    as claimed_region_code
    from {{ source('audit', 'findings') }}
    where rule = 'REGION_MISMATCH'
    group by submission_id
)

select
    source.submission_id,
    source.file_sha256,
    source.path                                           as landing_path,
    coalesce(source.folder_region_code, source.region_code) as region_code,
    source.folder_region_code,
    coalesce(region_mismatches.claimed_region_code, source.region_code) as stated_region_code,
    source.kind,
    source.period,
    source.period_start,
    source.period_end,
    source.evaluation_year,
    source.document_date,
    source.document_number,
    source.region_name_given,
    source.email_kontak                                   as contact_email,
    source.template_version,
    source.framework,
    source.status,
    source.status = 'accepted'                            as is_accepted,
    source.errors                                         as error_count,
    source.warnings                                       as warning_count,
    source.size_bytes,
    source.received_at,
    source.uploaded_at,
    -- The submission's time for deadlines (contract section 6): when it was written to the
    -- landing zone; the pipeline's own time for rows that predate `uploaded_at`.
    coalesce(source.uploaded_at, source.received_at)      as submitted_at,
    source.run_id,
    source.quarantine_path
from source
left join region_mismatches
    on region_mismatches.submission_id = source.submission_id
