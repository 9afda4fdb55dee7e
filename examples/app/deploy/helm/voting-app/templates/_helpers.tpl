{{/*
Chart name, truncated to the 63 characters a DNS label allows.
*/}}
{{- define "voting-app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. With the release named after the chart (the
pipeline renders with release name = app name) this is just "voting-app".
*/}}
{{- define "voting-app.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Namespace of every object: the substituted TARGET_NAMESPACE, else the release namespace.
*/}}
{{- define "voting-app.namespace" -}}
{{- default .Release.Namespace .Values.namespace }}
{{- end }}

{{- define "voting-app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of one tier. Call with (dict "root" $ "component" "web").
*/}}
{{- define "voting-app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "voting-app.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Common labels of one tier. Call with (dict "root" $ "component" "web").
*/}}
{{- define "voting-app.labels" -}}
helm.sh/chart: {{ include "voting-app.chart" .root }}
{{ include "voting-app.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: voting-app
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.environment }}
app.kubernetes.io/environment: {{ . | quote }}
{{- end }}
{{- end }}

{{- define "voting-app.web.name" -}}
{{- printf "%s-web" (include "voting-app.fullname" .) }}
{{- end }}

{{- define "voting-app.redis.name" -}}
{{- printf "%s-redis" (include "voting-app.fullname" .) }}
{{- end }}
