-- Per-model view and download counters in daily buckets (UTC calendar days), written by
-- models.update_model_analytics with upserts on (model_id, day).
CREATE TABLE model_analytics_daily (
  model_id bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
  day date NOT NULL,
  views bigint NOT NULL DEFAULT 0 CHECK (views >= 0),
  downloads bigint NOT NULL DEFAULT 0 CHECK (downloads >= 0),
  PRIMARY KEY (model_id, day)
);
CREATE INDEX model_analytics_daily_day_idx ON model_analytics_daily (day);
