{{/* Names, labels and the pieces shared by several templates. */}}

{{- define "synthetiq-tasks.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "synthetiq-tasks.fullname" -}}
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

{{- define "synthetiq-tasks.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "synthetiq-tasks.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: synthetiq-tasks
{{- end }}

{{/* Selector labels of one component: include with (dict "ctx" $ "component" "operator"). */}}
{{- define "synthetiq-tasks.selectorLabels" -}}
app.kubernetes.io/name: {{ include "synthetiq-tasks.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "synthetiq-tasks.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "synthetiq-tasks.operatorServiceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (printf "%s-operator" (include "synthetiq-tasks.fullname" .)) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "synthetiq-tasks.runnerServiceAccountName" -}}
{{- if .Values.runner.serviceAccount.create }}
{{- default (printf "%s-runner" (include "synthetiq-tasks.fullname" .)) .Values.runner.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.runner.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "synthetiq-tasks.redisName" -}}
{{- printf "%s-redis" (include "synthetiq-tasks.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Redis URL the operator and the runners use (without credentials). */}}
{{- define "synthetiq-tasks.redisUrl" -}}
{{- if .Values.redis.bundled.enabled }}
{{- printf "redis://%s.%s.svc:6379/0" (include "synthetiq-tasks.redisName" .) .Release.Namespace }}
{{- else }}
{{- required "redis.url is required when redis.bundled.enabled is false (e.g. redis://redis.example.svc:6379/0)" .Values.redis.url }}
{{- end }}
{{- end }}

{{/* The Secret and key holding the Redis password, or nothing when there is none. */}}
{{- define "synthetiq-tasks.redisPasswordSecret" -}}
{{- if .Values.redis.bundled.enabled }}
{{- include "synthetiq-tasks.redisName" . }}
{{- else }}
{{- .Values.redis.existingSecret.name }}
{{- end }}
{{- end }}

{{- define "synthetiq-tasks.redisPasswordKey" -}}
{{- if .Values.redis.bundled.enabled }}redis-password{{ else }}{{ .Values.redis.existingSecret.passwordKey }}{{ end }}
{{- end }}

{{/*
The runners' settings that are not secret. The operator adds them to every runner pod it creates
(OPERATOR_RUNNER_ENV_<NAME>), so they reach TaskRuns in every namespace. The operator sets
REDIS_URL and REDIS_PASSWORD itself.
*/}}
{{- define "synthetiq-tasks.runnerSettings" -}}
{{- if .Values.smtp.existingSecret.name }}
MAIL_FROM: {{ .Values.smtp.from | quote }}
SMTP_SECURE: {{ .Values.smtp.secure | quote }}
{{- end }}
{{- with .Values.aws.region }}
AWS_REGION: {{ . | quote }}
{{- end }}
{{- with .Values.artifacts }}
{{- if .s3Bucket }}
ARTIFACTS_S3_BUCKET: {{ .s3Bucket | quote }}
ARTIFACTS_S3_FORCE_PATH_STYLE: {{ .s3ForcePathStyle | quote }}
{{- with .s3Endpoint }}
ARTIFACTS_S3_ENDPOINT: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- range $name, $value := .Values.runner.extraEnv }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{/*
The runners' credentials, as TaskQueue defaults.env entries: every one a secretKeyRef to a Secret
named in values (in the TaskRun's namespace). Nothing secret is ever inlined.
*/}}
{{- define "synthetiq-tasks.runnerSecretEnv" -}}
{{- with .Values.smtp.existingSecret }}
{{- if .name }}
- name: SMTP_HOST
  valueFrom: { secretKeyRef: { name: {{ .name }}, key: {{ .hostKey }} } }
- name: SMTP_PORT
  valueFrom: { secretKeyRef: { name: {{ .name }}, key: {{ .portKey }} } }
{{- if .userKey }}
- name: SMTP_USER
  valueFrom: { secretKeyRef: { name: {{ .name }}, key: {{ .userKey }} } }
{{- end }}
{{- if .passwordKey }}
- name: SMTP_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ .name }}, key: {{ .passwordKey }} } }
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.database.existingSecret }}
{{- if .name }}
- name: DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ .name }}, key: {{ .urlKey }} } }
{{- end }}
{{- end }}
{{- with .Values.aws.existingSecret }}
{{- if .name }}
- name: AWS_ACCESS_KEY_ID
  valueFrom: { secretKeyRef: { name: {{ .name }}, key: {{ .accessKeyIdKey }} } }
- name: AWS_SECRET_ACCESS_KEY
  valueFrom: { secretKeyRef: { name: {{ .name }}, key: {{ .secretAccessKeyKey }} } }
{{- end }}
{{- end }}
{{- end }}

{{/* The restricted Pod Security Standard, for pods and containers. */}}
{{- define "synthetiq-tasks.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "synthetiq-tasks.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{- define "synthetiq-tasks.httpApiServiceAccountName" -}}
{{- if .Values.httpApi.serviceAccount.create }}
{{- default (printf "%s-http-api" (include "synthetiq-tasks.fullname" .)) .Values.httpApi.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.httpApi.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Namespace of a submit that names none: the value, else the release namespace, where the chart's
queues are, else (when operator.watchNamespaces leaves the release namespace out, so the chart renders
no queues there) the first watched namespace. A value the operator does not watch fails: every
submit that names no namespace would make a TaskRun nothing ever runs. */}}
{{- define "synthetiq-tasks.httpApiDefaultNamespace" -}}
{{- $watched := .Values.operator.watchNamespaces }}
{{- if .Values.httpApi.defaultNamespace }}
{{- if and $watched (not (has .Values.httpApi.defaultNamespace $watched)) }}
{{- fail (printf "httpApi.defaultNamespace: %q is not in operator.watchNamespaces %v: TaskRuns submitted without a namespace would never run" .Values.httpApi.defaultNamespace $watched) }}
{{- end }}
{{- .Values.httpApi.defaultNamespace }}
{{- else if or (not $watched) (has .Release.Namespace $watched) }}
{{- .Release.Namespace }}
{{- else }}
{{- first $watched }}
{{- end }}
{{- end }}

{{/* Fails when operator.watchNamespaces leaves out the release namespace while the chart renders
schedules or TaskQueues into it: the operator would never handle them, so Celery beat's replacements
would silently never run. Included by schedules.yaml and taskqueues.yaml. */}}
{{- define "synthetiq-tasks.requireReleaseNamespaceWatched" -}}
{{- $watched := .Values.operator.watchNamespaces }}
{{- if and $watched (not (has .Release.Namespace $watched)) }}
{{- $rendered := list }}
{{- range $name, $run := .Values.schedules }}
{{- if $run }}{{ $rendered = append $rendered (printf "schedules.%s" $name) }}{{ end }}
{{- end }}
{{- range $name, $queue := .Values.queues }}
{{- if $queue }}{{ $rendered = append $rendered (printf "queues.%s" $name) }}{{ end }}
{{- end }}
{{- if $rendered }}
{{- fail (printf "%s render into the release namespace %q, which operator.watchNamespaces %v leaves out: the operator would never handle them. Add %q to operator.watchNamespaces, or set each of them to null" (join ", " $rendered) .Release.Namespace $watched .Release.Namespace) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The namespaces that get the chart's TaskQueues and runner ServiceAccount, as a YAML list: the
release namespace and taskNamespaces. Each of taskNamespaces must be one the operator watches (the
release namespace: see requireReleaseNamespaceWatched). */}}
{{- define "synthetiq-tasks.taskNamespaces" -}}
{{- $namespaces := uniq (prepend .Values.taskNamespaces .Release.Namespace) }}
{{- with .Values.operator.watchNamespaces }}
{{- range $namespaces }}
{{- if and (ne . $.Release.Namespace) (not (has . $.Values.operator.watchNamespaces)) }}
{{- fail (printf "taskNamespaces: %q is not in operator.watchNamespaces %v: the operator would not handle its TaskRuns" . $.Values.operator.watchNamespaces) }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $namespaces }}
{{- end }}

{{/* The PersistentVolumeClaim mounted at the runners' ARTIFACTS_DIR, or nothing when artifacts go
to S3 or persistence is off. */}}
{{- define "synthetiq-tasks.artifactsClaim" -}}
{{- with .Values.artifacts }}
{{- if and .persistence.enabled (not .s3Bucket) }}
{{- .persistence.existingClaim | default (printf "%s-artifacts" (include "synthetiq-tasks.fullname" $)) }}
{{- end }}
{{- end }}
{{- end }}
