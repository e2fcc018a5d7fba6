{#- The columns and types every source maps to, documented in the .yml. -#}
{{ canonical_model('campaigns') }}
