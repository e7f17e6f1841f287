{{/* The ksflux chart's name for its objects in this release (its "ksflux.fullname"). */}}
{{- define "frontend.backend" -}}
{{- if contains "ksflux" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-ksflux" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* ksflux's in-cluster address. */}}
{{- define "frontend.backendURL" -}}
{{- printf "http://%s.%s.svc:%v" (include "frontend.backend" .) .Release.Namespace .Values.backend.port -}}
{{- end -}}

{{/* Labels of every object: the extension they belong to. */}}
{{- define "frontend.labels" -}}
kubesphere.io/extension-ref: ksflux
app.kubernetes.io/part-of: ksflux
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
