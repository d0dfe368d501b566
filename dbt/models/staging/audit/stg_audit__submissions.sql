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
    file_sha256,
    path                                              as landing_path,
    coalesce(folder_region_code, region_code)         as region_code,
    folder_region_code,
    coalesce(region_mismatches.claimed_region_code, region_code) as stated_region_code,
    kind,
    period,
    period_start,
    period_end,
    evaluation_year,
    document_date,
    document_number,
    region_name_given,
    email_kontak                                      as contact_email,
    template_version,
    framework,
    status,
    status = 'accepted'                               as is_accepted,
    errors                                            as error_count,
    warnings                                          as warning_count,
    size_bytes,
    received_at,
    uploaded_at,
    -- The submission's time for deadlines (contract section 6): when it was written to the
    -- landing zone; the pipeline's own time for rows that predate `uploaded_at`.
    coalesce(uploaded_at, received_at)                as submitted_at,
    run_id,
    quarantine_path
from source
left join region_mismatches
    on region_mismatches.submission_id = source.submission_id
