select
    aspect,
    aspect_order,
    aspect_group
from {{ ref('ref_evaluation_aspects') }}
