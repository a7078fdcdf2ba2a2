import { Migration } from '@mikro-orm/migrations';

/** Initial schema (PostgreSQL). Partial unique indexes let the database refuse a double-booked bed. */
export class Migration20261121000000_initial extends Migration {
  async up(): Promise<void> {
    this.addSql('create table "hospital" ("id" serial primary key, "name" varchar(200) not null);');
    this.addSql('create table "ward" ("id" serial primary key, "hospital_id" int not null references "hospital" ("id") on update cascade, "name" varchar(200) not null, "abbreviation" varchar(20) not null, "floor" int not null, "capacity" int not null check ("capacity" > 0));');
    this.addSql('create index "ward_hospital_name_idx" on "ward" ("hospital_id", "name");');
    this.addSql('create table "tag" ("id" serial primary key, "hospital_id" int not null references "hospital" ("id") on update cascade, "name" varchar(100) not null, "color" varchar(20) not null);');
    this.addSql('create index "tag_hospital_name_idx" on "tag" ("hospital_id", "name");');
    this.addSql('create table "patient" ("id" serial primary key, "hospital_id" int not null references "hospital" ("id") on update cascade, "name" varchar(200) not null, "status" text check ("status" in (\'INPATIENT\', \'OUTPATIENT\')) not null default \'OUTPATIENT\', "latest_event_at" timestamptz null);');
    this.addSql('create index "patient_hospital_status_idx" on "patient" ("hospital_id", "status");');
    this.addSql('create index "patient_hospital_latest_event_idx" on "patient" ("hospital_id", "latest_event_at" desc nulls last, "id");');
    this.addSql('create table "patient_tags" ("patient_id" int not null references "patient" ("id") on update cascade on delete cascade, "tag_id" int not null references "tag" ("id") on update cascade on delete cascade, constraint "patient_tags_pkey" primary key ("patient_id", "tag_id"));');
    this.addSql('create index "patient_tags_tag_id_index" on "patient_tags" ("tag_id");');
    this.addSql('create table "admission" ("id" serial primary key, "hospital_id" int not null references "hospital" ("id") on update cascade, "patient_id" int not null references "patient" ("id") on update cascade, "ward_id" int not null references "ward" ("id") on update cascade, "bed" varchar(50) not null, "admitted_at" timestamptz not null, "discharged_at" timestamptz null);');
    this.addSql('create unique index "admission_open_bed_uniq" on "admission" ("ward_id", "bed") where "discharged_at" is null;');
    this.addSql('create unique index "admission_open_patient_uniq" on "admission" ("patient_id") where "discharged_at" is null;');
    this.addSql('create index "admission_hospital_open_idx" on "admission" ("hospital_id", "ward_id") where "discharged_at" is null;');
    this.addSql('create table "clinical_event" ("id" serial primary key, "hospital_id" int not null references "hospital" ("id") on update cascade, "patient_id" int not null references "patient" ("id") on update cascade, "kind" varchar(100) not null, "occurred_at" timestamptz not null);');
    this.addSql('create index "clinical_event_patient_time_idx" on "clinical_event" ("patient_id", "occurred_at");');
  }
}
