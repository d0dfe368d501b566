select
    code                                              as province_code,
    name                                              as province_name
from {{ ref('ref_provinces') }}
