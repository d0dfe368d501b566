{#
  Custom schemas are used as they are (staging, intermediate, marts, reference), not
  prefixed with the target schema: analysts and the pipeline read `marts.<model>` on every
  engine and target. Nodes without a custom schema land in the target's schema (`marts`).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
