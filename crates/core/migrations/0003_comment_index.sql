-- Comments of a period (board-pack appendix) without scanning every measurement.
CREATE INDEX measurement_commented ON measurement(month) WHERE comment IS NOT NULL;
