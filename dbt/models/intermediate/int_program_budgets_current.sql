-- Template version 2: the current masterplans' planned rupiah per program and year.
-- A version-1 masterplan has no rows: its money per year is unknown, not guessed.
select
    p.region_code,
    p.masterplan_submission_id,
    p.program_code,
    b.budget_year,
    b.budget_idr
from {{ ref('int_programs_current') }} as p
inner join {{ ref('stg_raw__masterplan_program_budgets') }} as b
    on b.submission_id = p.masterplan_submission_id
    and b.program_code = p.program_code
