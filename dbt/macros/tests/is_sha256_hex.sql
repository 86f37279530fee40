{#- Every non-NULL value is a 64-character hex string: PII must reach the warehouse masked (sha256). -#}
{% test is_sha256_hex(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not {{ strataflow.matches_regex(column_name, '[0-9a-f]{64}') }}
{% endtest %}
