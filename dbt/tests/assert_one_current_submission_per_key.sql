-- Exactly one current submission per regency x kind x supersession period.
select region_code, kind, supersession_period, count(*) as current_submissions
from {{ ref('int_submissions_ranked') }}
group by region_code, kind, supersession_period
having sum(case when is_current then 1 else 0 end) <> 1
