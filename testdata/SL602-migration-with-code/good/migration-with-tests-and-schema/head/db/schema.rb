ActiveRecord::Schema[7.1].define(version: 2025_11_01_090000) do
end
