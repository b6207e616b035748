-- The 80 % interval of a vehicle's lowest remaining useful life, as the health engine
-- gives it (absent for RULs without one).
ALTER TABLE metric_vehicles
    ADD COLUMN min_rul_low_days DOUBLE PRECISION,
    ADD COLUMN min_rul_high_days DOUBLE PRECISION;
