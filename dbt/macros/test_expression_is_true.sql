{#
  Generic data test: every row of the model satisfies a boolean SQL expression
  (rows where it is false or null fail).

      data_tests:
        - expression_is_true:
            arguments:
              expression: "programs_done <= programs_reported"
#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
